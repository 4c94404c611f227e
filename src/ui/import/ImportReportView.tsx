// The last import: how many photos were added, and every file left out with the reason.
import { importsActions, useImports } from '../../state/imports';
import { plural } from '../format';

export function ImportReportView() {
  const busy = useImports((s) => s.busy);
  const report = useImports((s) => s.report);
  if (busy) {
    return (
      <div className="import-busy" role="status">
        <label htmlFor="import-progress">Reading files: {busy.done} of {busy.total}</label>
        <progress id="import-progress" value={busy.done} max={Math.max(1, busy.total)} />
      </div>
    );
  }
  if (!report) return null;
  const parts = [`${plural(report.added, 'photo')} added`];
  if (report.requeued) parts.push(`${report.requeued} queued again`);
  if (report.duplicates) parts.push(`${plural(report.duplicates, 'duplicate')} skipped (already in the library)`);
  return (
    <div className="import-report" data-testid="import-report" role="status">
      <p>{parts.join(', ')}.</p>
      {report.problems.length > 0 && (
        <>
          <p className="warn">{plural(report.problems.length, 'file')} could not be added:</p>
          <ul className="problems" data-testid="import-problems">
            {report.problems.map((p, i) => (
              <li key={i}><span className="file-name">{p.name}</span>: <span className="reason">{p.reason}</span></li>
            ))}
          </ul>
        </>
      )}
      <button type="button" onClick={() => importsActions.dismissReport()}>Dismiss</button>
    </div>
  );
}
