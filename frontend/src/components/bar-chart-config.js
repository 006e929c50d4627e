// Chart.js configuration for the app's bar charts, kept apart from the component so the mapping
// from numbers to chart is tested without a canvas (jsdom has none).

// Tailwind's blue-700, the app's accent colour, written out: Chart.js draws on a canvas and
// cannot read Tailwind classes.
export const BAR_COLOR = '#1d4ed8'
const GRID_COLOR = '#e2e8f0'
const TEXT_COLOR = '#334155'

export function barChartConfig({
  labels,
  values,
  horizontal = false,
  wholeNumbers = false,
  locale,
}) {
  const valueAxis = horizontal ? 'x' : 'y'
  const labelAxis = horizontal ? 'y' : 'x'
  return {
    type: 'bar',
    data: {
      labels: [...labels],
      datasets: [
        { data: [...values], backgroundColor: BAR_COLOR, borderRadius: 3, maxBarThickness: 32 },
      ],
    },
    options: {
      indexAxis: labelAxis,
      // Number formatting on the axis and in tooltips follows the UI language.
      locale,
      responsive: true,
      maintainAspectRatio: false,
      // Drawn once: a moving chart helps nobody read numbers, and it honours reduced motion.
      animation: false,
      scales: {
        [valueAxis]: {
          beginAtZero: true,
          grid: { color: GRID_COLOR },
          ticks: { color: TEXT_COLOR, ...(wholeNumbers ? { precision: 0 } : {}) },
        },
        [labelAxis]: { grid: { display: false }, ticks: { color: TEXT_COLOR, autoSkip: false } },
      },
    },
  }
}
