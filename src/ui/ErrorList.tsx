// Errors for the user: what happened and what to do, each dismissable.
import { actions, useAppStore } from '../state/store';

export function ErrorList() {
  const errors = useAppStore((s) => s.errors);
  if (errors.length === 0) return null;
  return (
    <section className="panel errors" aria-labelledby="errors-heading">
      <h2 id="errors-heading">Problems</h2>
      <ul>
        {errors.map((e) => (
          <li key={e.id} role="alert">
            <p className="error-message"><strong>{e.name}</strong>: {e.message}</p>
            {e.hint && <p className="error-hint">What to do: {e.hint}</p>}
            <button type="button" onClick={() => actions.dismissError(e.id)} aria-label={`Dismiss ${e.name}`}>
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
