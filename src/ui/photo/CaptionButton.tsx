// "Caption": the model describes the photo (its caption question, without the chat's history).
import { caption } from '../../app/chatSession';
import { useChat } from '../../state/chat';

export function CaptionButton({ indexed }: { indexed: boolean }) {
  const busy = useChat((s) => s.streaming !== null);
  return <button type="button" disabled={busy || !indexed} onClick={() => void caption()}>Caption</button>;
}
