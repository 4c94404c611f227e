// One-click questions the loaded model understands.
import { ask } from '../../app/chatSession';
import { suggestedQuestions } from '../../app/suggestions';
import { useChat } from '../../state/chat';
import { useModel } from '../../state/model';

export function SuggestedQuestions({ indexed }: { indexed: boolean }) {
  const model = useModel((m) => (m.kind === 'ready' ? m.info : null));
  const busy = useChat((s) => s.streaming !== null);
  if (!model) return null;
  return (
    <div className="suggestions" role="group" aria-label="Suggested questions">
      {suggestedQuestions(model).map((q) => (
        <button key={q} type="button" className="chip" disabled={busy || !indexed} onClick={() => void ask(q)}>{q}</button>
      ))}
    </div>
  );
}
