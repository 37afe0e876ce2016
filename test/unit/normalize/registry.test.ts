// The convention registry (normalize/conventions.ts) against the names in schemas/genai.ts. The compiler already
// holds the list to the tuple; this pins the precedence itself, which decides field by field what a span that
// carries several conventions becomes, so reordering it is a behaviour change someone must mean.

import { describe, expect, it } from 'vitest';
import { CONVENTION_NAMES } from '../../../schemas/genai.js';
import { CONVENTIONS } from '../../../normalize/conventions.js';

describe('convention registry', () => {
  it('has exactly one reader per schema convention name, in the documented precedence order', () => {
    const names = CONVENTIONS.map((c) => c.name);
    for (const name of CONVENTION_NAMES)
      expect(
        names.filter((n) => n === name),
        name,
      ).toHaveLength(1);
    expect(names).toHaveLength(CONVENTION_NAMES.length);
    expect(names).toEqual([...CONVENTION_NAMES]);
    // Most precise first: current OTel GenAI, then the token-level proxy data, the SDK- and vendor-specific
    // conventions, the deprecated OTel forms, and Agent Lightning's token ids last.
    expect(names).toEqual([
      'otel-genai',
      'llm-proxy',
      'vercel-ai',
      'openinference',
      'openllmetry',
      'logfire',
      'haystack',
      'otel-genai-legacy',
      'agentlightning',
    ]);
    for (const c of CONVENTIONS) {
      expect(typeof c.claims, c.name).toBe('function');
      expect(typeof c.read, c.name).toBe('function');
    }
  });
});
