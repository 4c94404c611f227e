// "Clear all data": removes every photo, token, chat and queued job from this device (settings stay).
import { clearAllData } from '../../app/libraryOps';
import { reportError } from '../../app/report';
import { ConfirmButton } from '../common/ConfirmButton';

export function ClearDataButton() {
  return (
    <ConfirmButton
      label="Clear all data" confirmLabel="Clear everything" className="danger"
      question="Delete every photo, summary token and chat from this device? Export first if you want a copy."
      onConfirm={async () => {
        try {
          await clearAllData();
        } catch (e) {
          reportError(e, 'storage');
        }
      }}
    />
  );
}
