// A modal dialog on the native <dialog> element: focus moves in and is trapped, Escape closes it, focus
// returns to where it was.
import { useEffect, useRef, type ReactNode } from 'react';

interface Props {
  label: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}

export function Dialog({ label, onClose, children, className }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const before = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      closeRef.current();
    };
    d.addEventListener('cancel', onCancel);
    return () => {
      d.removeEventListener('cancel', onCancel);
      if (d.open) d.close();
      before?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} className={`dialog ${className ?? ''}`} aria-label={label}>
      <div className="dialog-bar">
        <h2 className="dialog-title">{label}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={`Close ${label}`}>Close</button>
      </div>
      {children}
    </dialog>
  );
}
