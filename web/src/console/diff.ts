// A line diff of two notice versions (longest common subsequence), computed in the page, and
// its accessible rendering: removed lines in <del>, added ones in <ins>, each also marked with
// a "-" or "+" and a visually hidden word, so the change is never told by colour alone.
import { h } from '../common/dom';

export type DiffLine = { op: 'same' | 'add' | 'del'; text: string };

export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.split('\n'), y = b.split('\n');
  const n = x.length, m = y.length;
  // lcs[i][j]: length of the LCS of x[i..] and y[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; --i)
    for (let j = m - 1; j >= 0; --j)
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ op: 'same', text: x[i] }); ++i; ++j; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: 'del', text: x[i++] });
    else out.push({ op: 'add', text: y[j++] });
  }
  while (i < n) out.push({ op: 'del', text: x[i++] });
  while (j < m) out.push({ op: 'add', text: y[j++] });
  return out;
}

// The diff as a list: one item per line, with a summary of what changed.
export function renderDiff(lines: DiffLine[], from: number, to: number): HTMLElement {
  const added = lines.filter((l) => l.op === 'add').length;
  const removed = lines.filter((l) => l.op === 'del').length;
  const list = h('ol', { class: 'diff', 'aria-label': `Changes from version ${from} to version ${to}` });
  for (const l of lines) {
    if (l.op === 'same') list.append(h('li', { class: 'same' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '  '), l.text || '\u00a0'));
    else if (l.op === 'add') list.append(h('li', { class: 'add' }, h('ins', {}, h('span', { class: 'mark', 'aria-hidden': 'true' }, '+ '), h('span', { class: 'sr-only' }, 'added: '), l.text || '(empty line)')));
    else list.append(h('li', { class: 'del' }, h('del', {}, h('span', { class: 'mark', 'aria-hidden': 'true' }, '- '), h('span', { class: 'sr-only' }, 'removed: '), l.text || '(empty line)')));
  }
  return h('section', { id: 'diff', 'aria-labelledby': 'h-diff' },
    h('h3', { id: 'h-diff' }, `Version ${from} → version ${to}`),
    h('p', { id: 'diff-summary' }, `${added} line${added === 1 ? '' : 's'} added (+), ${removed} line${removed === 1 ? '' : 's'} removed (−).`),
    list);
}
