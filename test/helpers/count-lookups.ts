/** Counts a register's `find` calls, for tests that assert how often a provider consulted its register. */
export interface LookupCounter {
  readonly count: number;
  /** Puts the register's own `find` back. */
  restore(): void;
}

export function countLookups<R>(register: { find(idnr: string): R }): LookupCounter {
  const find = register.find;
  let count = 0;
  register.find = (idnr: string) => {
    count++;
    return find.call(register, idnr);
  };
  return {
    get count() {
      return count;
    },
    restore() {
      register.find = find;
    },
  };
}
