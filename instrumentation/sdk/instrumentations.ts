// GenAI instrumentations that init() turns on when their package is installed. They are optional: each is
// looked up at run time and skipped when absent, so the SDK installs and runs without any of them.
//
// How an instrumentation reaches the library it patches:
// - CommonJS (`require('openai')` after init()): patched automatically through require hooks.
// - ES modules: a static `import OpenAI from 'openai'` is evaluated before init() runs, so the loader hooks
//   never see it. Hand the class over instead — `init({ instrumentOpenAI: OpenAI })` or, later,
//   `instrumentOpenAI(OpenAI)` — and its prototype is patched in place (every client, made before or after).
import { createRequire } from 'node:module';
import { diag, type LoggerProvider, type TracerProvider } from '@opentelemetry/api';

/** The part of an OpenTelemetry `InstrumentationBase` the SDK drives (kept structural: no hard dependency). */
export interface InstrumentationLike {
  instrumentationName: string;
  setTracerProvider(provider: TracerProvider): void;
  setLoggerProvider?(provider: LoggerProvider): void;
  enable(): void;
  disable(): void;
  getModuleDefinitions?(): Array<{
    name: string;
    patch?: (moduleExports: unknown, moduleVersion?: string) => unknown;
    unpatch?: (moduleExports: unknown, moduleVersion?: string) => void;
  }>;
}

interface Known {
  /** npm package of the instrumentation. */
  pkg: string;
  /** Its exported class. */
  className: string;
  /** The library it instruments (the module name its definitions use). */
  library: string;
  config(captureContent: boolean): Record<string, unknown>;
}

const KNOWN: readonly Known[] = [
  {
    pkg: '@opentelemetry/instrumentation-openai',
    className: 'OpenAIInstrumentation',
    library: 'openai',
    config: (captureContent) => ({ captureMessageContent: captureContent }),
  },
];

const requireHere = createRequire(import.meta.url);

function loadClass(known: Known): (new (config: Record<string, unknown>) => InstrumentationLike) | null {
  let mod: Record<string, unknown>;
  try {
    mod = requireHere(known.pkg) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') diag.warn(`tracelight: could not load ${known.pkg}: ${(err as Error).message}`);
    return null;
  }
  const cls = mod[known.className];
  return typeof cls === 'function' ? (cls as new (config: Record<string, unknown>) => InstrumentationLike) : null;
}

/** One enabled instrumentation plus the modules patched by hand, so shutdown can undo both. */
export interface ActiveInstrumentation {
  library: string;
  instrumentation: InstrumentationLike;
  manual: unknown[];
}

/** Creates and enables every known instrumentation whose package is installed. */
export function enableKnownInstrumentations(
  providers: { tracerProvider: TracerProvider; loggerProvider: LoggerProvider },
  captureContent: boolean,
): ActiveInstrumentation[] {
  const out: ActiveInstrumentation[] = [];
  for (const known of KNOWN) {
    const Cls = loadClass(known);
    if (!Cls) continue;
    try {
      // enabled: false, then enable() after the providers are set, so no span is made with the no-op provider.
      const inst = new Cls({ ...known.config(captureContent), enabled: false });
      out.push(wireUp(inst, known.library, providers));
    } catch (err) {
      diag.warn(`tracelight: ${known.pkg} failed to start: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Wires a user-supplied instrumentation to the SDK's providers and enables it. */
export function wireUp(
  inst: InstrumentationLike,
  library: string,
  providers: { tracerProvider: TracerProvider; loggerProvider: LoggerProvider },
): ActiveInstrumentation {
  inst.setTracerProvider(providers.tracerProvider);
  inst.setLoggerProvider?.(providers.loggerProvider);
  inst.enable();
  return { library, instrumentation: inst, manual: [] };
}

/** Whether a value looks like the `openai` package's client class or module (what its instrumentation patches). */
export function isOpenAIModule(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const v = value as Record<string | symbol, unknown>;
  const target = (v[Symbol.toStringTag] === 'Module' ? v.default : v) as Record<string, unknown> | undefined;
  const cls = target?.OpenAI as Record<string, unknown> | undefined;
  const chat = cls?.Chat as Record<string, unknown> | undefined;
  return typeof chat?.Completions === 'function';
}

/**
 * Patches a module object by hand with an active instrumentation's own patch function (the ESM path).
 * Returns false when no active instrumentation covers that library.
 */
export function patchManually(active: readonly ActiveInstrumentation[], library: string, moduleExports: unknown): boolean {
  const entry = active.find((a) => a.library === library);
  if (!entry) return false;
  if (entry.manual.includes(moduleExports)) return true;
  const defs = entry.instrumentation.getModuleDefinitions?.() ?? [];
  const def = defs.find((d) => d.name === library);
  if (!def?.patch) return false;
  def.patch(moduleExports);
  entry.manual.push(moduleExports);
  return true;
}

/** Disables the instrumentations and unpatches what was patched by hand. */
export function disableAll(active: ActiveInstrumentation[]): void {
  for (const entry of active) {
    const def = entry.instrumentation.getModuleDefinitions?.().find((d) => d.name === entry.library);
    for (const m of entry.manual) {
      try {
        def?.unpatch?.(m);
      } catch {
        // best effort
      }
    }
    entry.manual.length = 0;
    try {
      entry.instrumentation.disable();
    } catch {
      // best effort
    }
  }
  active.length = 0;
}
