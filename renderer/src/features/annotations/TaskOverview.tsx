import { useEffect, useMemo, useRef, type ReactNode } from 'react'
import type { Layout } from 'plotly.js'
import { taskSummary } from '../../../../app/annotationEdits'
import type { DatasetSummary } from '../../../../app/dataset'
import { useApp } from '../../state/StoreContext'
import { loadPlotly } from '../plots/plotly'
import { EVENT_COLORS, THEME_COLORS } from '../../../../app/figures/palette'

/** Error-type distribution of one task as a horizontal bar chart (the paper's Figure 4). */
function ErrorChart(props: { counts: Record<string, number>; task: string }): ReactNode {
  const ref = useRef<HTMLDivElement>(null)
  const key = JSON.stringify(Object.entries(props.counts).sort((a, b) => b[1] - a[1]))
  const entries = useMemo(() => JSON.parse(key) as [string, number][], [key])
  const total = entries.reduce((a, [, n]) => a + n, 0)
  const theme = useApp((s) => s.theme)
  useEffect(() => {
    const colors = THEME_COLORS[theme]
    const div = ref.current
    if (!div || total === 0) return
    let cancelled = false
    void loadPlotly().then((Plotly) => {
      if (cancelled) return
      const layout: Partial<Layout> = {
        height: 40 + 26 * entries.length,
        margin: { l: 200, r: 90, t: 8, b: 24 },
        paper_bgcolor: colors.background,
        plot_bgcolor: colors.background,
        font: { color: colors.text, size: 11 },
        xaxis: { gridcolor: colors.grid, title: { text: 'errors' } },
        yaxis: { automargin: true },
      }
      void Plotly.react(
        div,
        [
          {
            type: 'bar',
            orientation: 'h',
            x: entries.map(([, n]) => n).reverse(),
            y: entries.map(([l]) => l).reverse(),
            text: entries.map(([, n]) => `${n} (${Math.round((100 * n) / total)}%)`).reverse(),
            textposition: 'outside',
            marker: { color: EVENT_COLORS.error },
            hoverinfo: 'x+y',
          },
        ],
        layout,
        { displayModeBar: false, responsive: true },
      )
    })
    return () => {
      cancelled = true
      void loadPlotly().then((Plotly) => Plotly.purge(div))
    }
  }, [entries, total, theme])
  if (total === 0) return <p className="muted">No errors annotated for this task yet.</p>
  return <div ref={ref} className="error-chart" data-testid={`error-chart-${props.task}`} />
}

/** Per task: annotation progress, outcomes, events per type and the error-type distribution. */
export function TaskOverview(props: { summary: DatasetSummary }): ReactNode {
  const project = useApp((s) => s.project)
  const tasks = useMemo(() => {
    const byTask = new Map<string, { index: number; length: number }[]>()
    for (const e of props.summary.episodes) {
      if (!e.present) continue
      const task = e.tasks[0] ?? '(no task)'
      const list = byTask.get(task) ?? []
      list.push({ index: e.index, length: e.length })
      byTask.set(task, list)
    }
    return [...byTask.entries()]
  }, [props.summary])
  if (!project) return <p className="muted">Loading annotations…</p>
  return (
    <div className="overview" aria-label="Overview by task">
      {tasks.map(([task, episodes]) => {
        const s = taskSummary(project, episodes, task)
        const pct = s.episodes > 0 ? Math.round((100 * s.done) / s.episodes) : 0
        return (
          <section key={task} className="overview-task" data-task={task}>
            <h3>{task}</h3>
            <div className="progress-row">
              <div className="progress-bar" title={`${s.done} of ${s.episodes} episodes done`}>
                <div style={{ width: `${pct}%` }} />
              </div>
              <span data-testid="progress">
                {s.done}/{s.episodes} done · {s.inProgress} in progress · {s.needsReview} need review · {s.todo} to do
              </span>
            </div>
            <p>
              Outcomes: <span className="outcome-success">{s.success} success</span> ·{' '}
              <span className="outcome-failure">{s.failure} failure</span> · {s.unknown} unknown
            </p>
            <div className="overview-columns">
              <div>
                <h4>Milestones</h4>
                {Object.keys(s.milestoneCounts).length === 0 ? <p className="muted">No taxonomy or milestones yet.</p> : null}
                <table className="counts">
                  <tbody>
                    {Object.entries(s.milestoneCounts).map(([label, n]) => (
                      <tr key={label}>
                        <td>{label}</td>
                        <td>{n}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div>
                <h4>Error types</h4>
                <ErrorChart counts={s.errorCounts} task={task} />
              </div>
            </div>
          </section>
        )
      })}
    </div>
  )
}
