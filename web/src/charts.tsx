// Every chart is uPlot: this component owns the instance (made once per shape of series, fed new data in
// place, resized with its box) and puts what it plots on its element (data-points, data-series), so a test or
// a screen reader can read the numbers the canvas shows.
import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** line (default), points only, bars, or a step line. */
  kind?: 'line' | 'points' | 'bars' | 'step';
  dash?: number[];
  /** A second y scale (drawn on the right) for a series of another unit. */
  scale?: 'right';
  pointSize?: number;
}

export interface ChartProps {
  /** Names the chart for tests and styling (data-chart). */
  name: string;
  x: number[];
  series: ChartSeries[];
  /** x are unix seconds. */
  time?: boolean;
  xLabel?: string;
  yLabel?: string;
  rightLabel?: string;
  height?: number;
  /** Fixed y range (rewards are 0..1); otherwise from the data. */
  yRange?: [number, number];
  format?: (v: number) => string;
  /** A one-line description for screen readers. */
  summary: string;
}

function pathsOf(kind: ChartSeries['kind']): uPlot.Series.PathBuilder | undefined {
  const p = uPlot.paths;
  if (kind === 'bars') return p.bars?.({ size: [0.7, 40], align: 0 });
  if (kind === 'step') return p.stepped?.({ align: 1 });
  if (kind === 'points') return () => null;
  return p.linear?.();
}

const INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

function optionsOf(props: ChartProps, width: number): uPlot.Options {
  const fmt = props.format ?? ((v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2)));
  const hasRight = props.series.some((s) => s.scale === 'right');
  return {
    width,
    height: props.height ?? 200,
    scales: {
      // Room after the last point (and from 0) so markers at the ends are not cut in half.
      x: props.time
        ? { time: true }
        : { time: false, range: (_u, min, max): [number, number] => [Math.min(0, min), max + Math.max(1, (max - Math.min(0, min)) * 0.06)] },
      y: props.yRange ? { range: props.yRange } : { range: (_u, min, max) => [Math.min(0, min), max > min ? max : min + 1] },
      ...(hasRight ? { right: { range: (_u: uPlot, min: number, max: number): [number, number] => [Math.min(0, min), max > min ? max : min + 1] } } : {}),
    },
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    axes: [
      {
        label: props.time ? undefined : props.xLabel,
        labelSize: props.xLabel && !props.time ? 18 : 0,
        stroke: '#5b6472',
        grid: { stroke: '#eef0f3' },
        ticks: { stroke: '#dfe3e8' },
        // Counted x (rollouts, iterations) never has a tick between two integers.
        ...(props.time ? {} : { incrs: INTEGER_STEPS }),
      },
      {
        label: props.yLabel,
        labelSize: props.yLabel ? 18 : 0,
        stroke: '#5b6472',
        grid: { stroke: '#eef0f3' },
        ticks: { stroke: '#dfe3e8' },
        values: (_u, vs) => vs.map(fmt),
        size: 44,
      },
      ...(hasRight
        ? [
            {
              scale: 'right',
              side: 1 as const,
              label: props.rightLabel,
              labelSize: props.rightLabel ? 18 : 0,
              stroke: '#5b6472',
              grid: { show: false },
              size: 44,
            },
          ]
        : []),
    ],
    series: [
      { label: props.xLabel ?? 'x', value: props.time ? (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString()) : undefined },
      ...props.series.map((s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        fill: s.kind === 'bars' ? `${s.color}cc` : undefined,
        width: s.kind === 'points' ? 0 : s.kind === 'bars' ? 0 : 2,
        dash: s.dash,
        scale: s.scale ?? 'y',
        spanGaps: s.kind !== 'bars',
        paths: pathsOf(s.kind),
        points: {
          show: s.kind === 'points' || s.kind === undefined || s.kind === 'line' ? true : false,
          size: s.pointSize ?? (s.kind === 'points' ? 9 : 6),
          fill: s.kind === 'points' ? s.color : '#fff',
          stroke: s.color,
        },
        value: (_u, v) => (v === null || v === undefined ? '–' : fmt(v)),
      })),
    ],
  };
}

export function Chart(props: ChartProps): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = JSON.stringify([
    props.series.map((s) => [s.label, s.color, s.kind, s.scale, s.dash]),
    props.time,
    props.yRange,
    props.height,
    props.xLabel,
    props.yLabel,
  ]);
  const data: uPlot.AlignedData = [props.x, ...props.series.map((s) => s.values)];
  const dataRef = useRef(data);
  dataRef.current = data;
  const propsRef = useRef(props);
  propsRef.current = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(optionsOf(propsRef.current, Math.max(200, el.clientWidth)), dataRef.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: propsRef.current.height ?? 200 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  const sig = JSON.stringify(data);
  useEffect(() => {
    plot.current?.setData(dataRef.current);
  }, [sig]);

  const perSeries = Object.fromEntries(props.series.map((s) => [s.label, s.values.filter((v) => v !== null).length]));
  return (
    <figure className="chart" data-chart={props.name} data-points={props.x.length} data-series={JSON.stringify(perSeries)} aria-label={props.summary}>
      <div ref={box} className="chart-box" />
    </figure>
  );
}
