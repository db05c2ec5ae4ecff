export {
  createPreviewService,
  type ConsentGuard,
  type PreviewDecision,
  type PreviewFinished,
  type PreviewService,
  type PreviewServiceDeps,
  type PreviewView,
} from './create-preview-service.js';
export { createEvidenceSealer, type EvidenceSealer, type SealedContent } from './seal-evidence.js';
