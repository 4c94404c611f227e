// Start a new conversation about this photo (the old one stays saved).
import { newChat } from '../../app/chatSession';
import { useChat } from '../../state/chat';

export function NewChatButton() {
  const has = useChat((s) => s.turns.length > 0 && s.streaming === null);
  return <button type="button" disabled={!has} onClick={() => newChat()}>New chat</button>;
}
