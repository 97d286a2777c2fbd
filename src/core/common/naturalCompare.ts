/**
 * The order `docker context ls` uses (fvbommel/sortorder `NaturalLess`): runs of ASCII digits
 * compare by numeric value, with fewer leading zeros first on a tie ("2" < "02"); everything
 * else compares by UTF-8 byte; at the first difference between a digit and a non-digit, the
 * digit sorts first; a string that is a prefix of the other sorts first.
 *
 * Returns a negative number, zero or a positive number, for Array.prototype.sort.
 */
export function naturalCompare(a: string, b: string): number {
  // Byte order of UTF-8 equals code point order, so comparing code points matches Go's bytes.
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a.charCodeAt(i);
    const c2 = b.charCodeAt(j);
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) {
      return d1 ? -1 : 1;
    }
    if (!d1) {
      if (c1 !== c2) {
        return compareCodePoints(a, i, b, j);
      }
      i++;
      j++;
      continue;
    }
    while (i < a.length && a.charCodeAt(i) === 0x30) {
      i++;
    }
    while (j < b.length && b.charCodeAt(j) === 0x30) {
      j++;
    }
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) {
      i++;
    }
    while (j < b.length && isDigit(b.charCodeAt(j))) {
      j++;
    }
    const len1 = i - nz1;
    const len2 = j - nz2;
    if (len1 !== len2) {
      return len1 - len2;
    }
    // Same length: the first differing digit decides (compared in place: sorting 1000 names
    // would otherwise allocate tens of thousands of substrings).
    for (let k = 0; k < len1; k++) {
      const x = a.charCodeAt(nz1 + k);
      const y = b.charCodeAt(nz2 + k);
      if (x !== y) {
        return x - y;
      }
    }
    // Equal values: the one whose digits started earlier (fewer leading zeros) is less.
    if (nz1 !== nz2) {
      return nz1 - nz2;
    }
  }
  // Identical so far and one has ended: the shorter sorts first.
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** `sortorder.NaturalLess`. */
export function naturalLess(a: string, b: string): boolean {
  return naturalCompare(a, b) < 0;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function compareCodePoints(a: string, i: number, b: string, j: number): number {
  const x = a.codePointAt(i) ?? 0;
  const y = b.codePointAt(j) ?? 0;
  return x < y ? -1 : x > y ? 1 : 0;
}
