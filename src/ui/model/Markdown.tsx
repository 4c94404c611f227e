// A very small markdown renderer for model cards: headings, paragraphs, bullet lists, fenced code, inline
// `code` and **bold**. Everything becomes React text nodes: nothing from the file is ever parsed as HTML.
import type { ReactNode } from 'react';

function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  const re = /(`[^`]+`|\*\*[^*]+\*\*)/g;
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const t = m[0];
    out.push(t.startsWith('`') ? <code key={i++}>{t.slice(1, -1)}</code> : <strong key={i++}>{t.slice(2, -2)}</strong>);
    last = m.index + t.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ text }: { text: string }) {
  const blocks: ReactNode[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  let key = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      i++;
      blocks.push(<pre key={key++}><code>{code.join('\n')}</code></pre>);
    } else if (/^#{1,6} /.test(line)) {
      const level = Math.min(6, line.indexOf(' ') + 2); // "# x" -> h3 inside the dialog's h2
      const content = inline(line.slice(line.indexOf(' ') + 1));
      blocks.push(level <= 3 ? <h3 key={key++}>{content}</h3> : <h4 key={key++}>{content}</h4>);
      i++;
    } else if (/^\s*[-*] /.test(line)) {
      const items: ReactNode[] = [];
      for (; i < lines.length && /^\s*[-*] /.test(lines[i]); i++) items.push(<li key={i}>{inline(lines[i].replace(/^\s*[-*] /, ''))}</li>);
      blocks.push(<ul key={key++}>{items}</ul>);
    } else if (line.trim() === '') {
      i++;
    } else {
      const para: string[] = [];
      for (; i < lines.length && lines[i].trim() !== '' && !/^(#{1,6} |```|\s*[-*] )/.test(lines[i]); i++) para.push(lines[i]);
      blocks.push(<p key={key++}>{inline(para.join(' '))}</p>);
    }
  }
  return <div className="markdown">{blocks}</div>;
}
