// Ask a question about the open photo; the answer streams in, and Stop ends it where it is.
import { useState } from 'react';
import { ask, stopAnswer } from '../../app/chatSession';
import { useChat } from '../../state/chat';
import { useModel } from '../../state/model';

export function AskForm({ indexed }: { indexed: boolean }) {
  const [text, setText] = useState('');
  const streaming = useChat((s) => s.streaming !== null);
  const ready = useModel((m) => m.kind === 'ready');
  const can = ready && indexed;
  return (
    <form
      className="ask"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim() || streaming || !can) return;
        const q = text;
        setText('');
        void ask(q);
      }}
    >
      <label htmlFor="ask-input" className="visually-hidden">Your question</label>
      <input
        id="ask-input" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off"
        placeholder={can ? 'Ask about this photo…' : indexed ? 'Waiting for the model…' : 'Answers need the photo to be indexed first'}
        disabled={!can}
      />
      {streaming
        ? <button type="button" className="danger" onClick={() => stopAnswer()}>Stop</button>
        : <button type="submit" className="primary" disabled={!can || !text.trim()}>Ask</button>}
    </form>
  );
}
