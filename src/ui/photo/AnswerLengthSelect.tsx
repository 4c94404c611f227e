// The longest answer, in tokens (the model stops earlier when it is done).
import { chatActions, useChat } from '../../state/chat';

const CHOICES = [12, 32, 64, 128] as const;

export function AnswerLengthSelect() {
  const maxTokens = useChat((s) => s.maxTokens);
  return (
    <label className="answer-length">
      Longest answer
      <select
        value={maxTokens === null ? '' : String(maxTokens)}
        onChange={(e) => chatActions.setMaxTokens(e.target.value === '' ? null : Number(e.target.value))}
      >
        <option value="">default</option>
        {CHOICES.map((n) => <option key={n} value={n}>{n} tokens</option>)}
      </select>
    </label>
  );
}
