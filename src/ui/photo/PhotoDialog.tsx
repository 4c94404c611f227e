// The photo view: the picture (and heatmap), its facts, and a chat answered from its summary tokens.
import { useEffect } from 'react';
import { openChat, stopAnswer } from '../../app/chatSession';
import { reportError } from '../../app/report';
import { useLibrary } from '../../state/library';
import { useView, viewActions } from '../../state/view';
import { Dialog } from '../common/Dialog';
import { RetryButton } from '../queue/RetryButton';
import { FindSimilarButton } from '../search/FindSimilarButton';
import { AnswerLengthSelect } from './AnswerLengthSelect';
import { AskForm } from './AskForm';
import { CaptionButton } from './CaptionButton';
import { ChatHistory } from './ChatHistory';
import { DeletePhotoButton } from './DeletePhotoButton';
import { KSlider } from './KSlider';
import { NewChatButton } from './NewChatButton';
import { PhotoFacts } from './PhotoFacts';
import { PhotoImage } from './PhotoImage';
import { SuggestedQuestions } from './SuggestedQuestions';
import './photo.css';

export function PhotoDialog() {
  const id = useView((s) => s.openPhotoId);
  const photo = useLibrary((s) => (id ? s.photos.get(id) : undefined));
  useEffect(() => {
    if (!id) return;
    openChat(id).catch((e: unknown) => reportError(e, 'storage'));
    return () => stopAnswer();
  }, [id]);
  if (!id || !photo) return null;
  const indexed = photo.status === 'indexed';
  return (
    <Dialog key={id} label={photo.name} onClose={() => viewActions.openPhoto(null)} className="photo-view">
      <div className="photo-layout">
        <div className="photo-side">
          <PhotoImage photoId={id} name={photo.name} indexed={indexed} />
          <PhotoFacts photo={photo} />
          <div className="actions">
            <CaptionButton indexed={indexed} />
            <FindSimilarButton photoId={id} closeView />
            {photo.status === 'failed' && <RetryButton ids={[id]} />}
            <DeletePhotoButton photoId={id} />
          </div>
        </div>
        <div className="chat-side">
          <div className="row-between">
            <h3>Chat</h3>
            <NewChatButton />
          </div>
          <div className="chat-controls">
            <KSlider />
            <AnswerLengthSelect />
          </div>
          <ChatHistory />
          <SuggestedQuestions indexed={indexed} />
          <AskForm indexed={indexed} />
        </div>
      </div>
    </Dialog>
  );
}
