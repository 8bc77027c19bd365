// Live line charts on the vendored uPlot (MIT): a rolling window of samples, resized with the page.
import uPlot from "./vendor/uplot/uPlot.esm.js";

const WINDOW = 300; // samples kept (10 minutes at one per 2 s)

export class LiveChart {
  /** series: [{label, stroke, dash?}]; the x axis is time in seconds. */
  constructor(target, { title, series, yLabel }) {
    this.target = target;
    this.data = [[], ...series.map(() => [])];
    this.plot = new uPlot(
      {
        title,
        width: Math.max(280, target.clientWidth || 600),
        height: 220,
        // At least 30 s wide, so the first samples do not stretch across the chart.
        scales: { x: { time: true, range: (u, min, max) => (max == null ? [min, max] : [Math.min(min, max - 30), max]) } },
        axes: [{}, { label: yLabel, size: 60 }],
        legend: { live: false },
        series: [
          {},
          ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash, points: { show: false } })),
        ],
      },
      this.data,
      target,
    );
    this.resize = new ResizeObserver(() => {
      const width = Math.max(280, target.clientWidth);
      if (width !== this.plot.width) this.plot.setSize({ width, height: 220 });
    });
    this.resize.observe(target);
  }

  push(atSeconds, values) {
    this.data[0].push(atSeconds);
    values.forEach((v, i) => this.data[i + 1].push(v));
    if (this.data[0].length > WINDOW) for (const column of this.data) column.shift();
    this.plot.setData(this.data);
  }

  destroy() {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
