// A side-by-side diff of two resource versions: lines aligned with diffLines, and inside a changed line pair
// the words that differ marked with diffWords, so a one-word edit of a long prompt line is easy to see.
import { diffLines, diffWords } from 'diff';
import type { ReactNode } from 'react';
import type { ResourceKind } from './types';

/** The text of a version for people and diffs (schemas/resources.ts resourceText): a prompt's template, else JSON. */
export function resourceText(kind: ResourceKind, content: unknown): string {
  if (kind === 'prompt_template' && content && typeof content === 'object') {
    const c = content as { template?: unknown; messages?: { role: string; content: string }[] };
    if (typeof c.template === 'string') return c.template;
    if (Array.isArray(c.messages)) return c.messages.map((m) => `[${m.role}]\n${m.content}`).join('\n\n');
  }
  if (typeof content === 'string') return content;
  return JSON.stringify(content, null, 2);
}

type Side = { n: number; text: string; words?: { text: string; changed: boolean }[] } | null;
interface Row {
  kind: 'same' | 'change' | 'removed' | 'added';
  left: Side;
  right: Side;
}

function lines(value: string): string[] {
  const ls = value.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  return ls;
}

function diffRows(a: string, b: string): Row[] {
  // Without a final newline on both sides the last line of one would differ from the same line of the other.
  const nl = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);
  const parts = diffLines(nl(a), nl(b));
  const rows: Row[] = [];
  let na = 1;
  let nb = 1;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!p) continue;
    if (!p.added && !p.removed) {
      for (const text of lines(p.value)) rows.push({ kind: 'same', left: { n: na++, text }, right: { n: nb++, text } });
      continue;
    }
    const next = parts[i + 1];
    if (p.removed && next?.added) {
      const ls = lines(p.value);
      const rs = lines(next.value);
      for (let j = 0; j < Math.max(ls.length, rs.length); j++) {
        const l = ls[j];
        const r = rs[j];
        if (l !== undefined && r !== undefined) {
          const w = diffWords(l, r);
          rows.push({
            kind: 'change',
            left: { n: na++, text: l, words: w.filter((x) => !x.added).map((x) => ({ text: x.value, changed: x.removed })) },
            right: { n: nb++, text: r, words: w.filter((x) => !x.removed).map((x) => ({ text: x.value, changed: x.added })) },
          });
        } else if (l !== undefined) rows.push({ kind: 'removed', left: { n: na++, text: l }, right: null });
        else if (r !== undefined) rows.push({ kind: 'added', left: null, right: { n: nb++, text: r } });
      }
      i++;
      continue;
    }
    for (const text of lines(p.value)) {
      if (p.removed) rows.push({ kind: 'removed', left: { n: na++, text }, right: null });
      else rows.push({ kind: 'added', left: null, right: { n: nb++, text } });
    }
  }
  return rows;
}

function Cell({ side, mark }: { side: Side; mark: 'removed' | 'added' | null }): ReactNode {
  if (!side) return <td className="diff-empty" colSpan={2} />;
  return (
    <>
      <td className="diff-n">{side.n}</td>
      <td className={`diff-text${mark ? ` diff-${mark}` : ''}`} data-diff={mark ?? 'same'}>
        {side.words
          ? side.words.map((w, i) =>
              w.changed ? (
                <mark key={i} className={mark === 'removed' ? 'word-del' : 'word-add'}>
                  {w.text}
                </mark>
              ) : (
                <span key={i}>{w.text}</span>
              ),
            )
          : side.text || '\u00a0'}
      </td>
    </>
  );
}

export function SideBySideDiff({ a, b, titleA, titleB }: { a: string; b: string; titleA: ReactNode; titleB: ReactNode }): ReactNode {
  const rows = diffRows(a, b);
  const removed = rows.filter((r) => r.left && r.kind !== 'same').length;
  const added = rows.filter((r) => r.right && r.kind !== 'same').length;
  return (
    <div className="diff" data-added={added} data-removed={removed}>
      <p className="small">
        <span className="diff-count add">+{added}</span> <span className="diff-count del">−{removed}</span> lines
        {added === 0 && removed === 0 ? <span className="muted"> · the two versions have the same text</span> : null}
      </p>
      <table className="diff-table">
        <colgroup>
          <col className="diff-ncol" />
          <col />
          <col className="diff-ncol" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colSpan={2}>{titleA}</th>
            <th colSpan={2}>{titleB}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i} className={`diff-row diff-row-${r.kind}`}>
              <Cell side={r.left} mark={r.kind === 'same' ? null : r.left ? 'removed' : null} />
              <Cell side={r.right} mark={r.kind === 'same' ? null : r.right ? 'added' : null} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
