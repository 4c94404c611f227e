// The conversation about this photo (saved turns, then the answer streaming now).
import { useEffect, useRef } from 'react';
import { useChat } from '../../state/chat';

export function ChatHistory() {
  const turns = useChat((s) => s.turns);
  const streaming = useChat((s) => s.streaming);
  const error = useChat((s) => s.error);
  const box = useRef<HTMLDivElement>(null);
  // Keep the newest words in view inside the chat box (never scroll the page or the dialog).
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns, streaming?.text]);
  return (
    <div className="chat" data-testid="chat" ref={box}>
      {turns.length === 0 && !streaming && <p className="muted">No questions yet. Answers come from this photo's stored summary tokens.</p>}
      <ol className="turns">
        {turns.map((t, i) => (
          <li key={i} className={`turn turn-${t.role}${t.interrupted ? ' interrupted' : ''}`} data-role={t.role} data-interrupted={t.interrupted ? 'true' : undefined}>
            <span className="visually-hidden">{t.role === 'user' ? 'You asked: ' : 'Answer: '}</span>{t.text.trim()}
            {t.interrupted && (
              // Saved while it streamed, and the page closed (or the engine failed) before it ended.
              <span className="turn-note" data-testid="interrupted-note">
                {t.text.trim() ? ' … ' : ''}(Interrupted: this answer did not finish{t.text.trim() ? '' : ', nothing of it was saved'}. Ask again for a whole answer.)
              </span>
            )}
          </li>
        ))}
        {streaming && (
          <>
            <li className="turn turn-user" data-role="user"><span className="visually-hidden">You asked: </span>{streaming.question}</li>
            <li className="turn turn-assistant streaming" data-role="assistant" data-testid="streaming-answer" aria-live="polite" aria-busy="true">
              <span className="visually-hidden">Answer: </span>{streaming.text.trimStart()}<span className="caret" aria-hidden="true">▍</span>
            </li>
          </>
        )}
      </ol>
      {error && <p className="status-failed" role="alert">{error}</p>}
    </div>
  );
}
