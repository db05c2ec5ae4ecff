/**
 * @peculiar/x509 depends on tsyringe, which refuses to load unless the Reflect metadata API exists. Import this
 * module before `@peculiar/x509` (ES modules evaluate imports in order).
 */
import 'reflect-metadata';
