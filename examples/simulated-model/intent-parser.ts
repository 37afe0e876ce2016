// The SIMULATED model's reading of instructions: a tolerant intent parser, not a phrase list. A
// prompt is cut into clauses; an intent is recognised from a verb family next to an object family
// in any of their usual orders ("show your work", "reason through the problem before answering",
// "the number alone", "nothing but the number"), and a negation earlier in the clause ("do not",
// "never", "no need to", "skip", "without") turns it around. Each hit keeps its position, so
// conflicting instructions can be resolved the way a model does: the later or stronger one wins.

export interface Clause {
  /** Lower-cased text of the clause. */
  text: string;
  /** Offset of the clause in the whole prompt (orders instructions). */
  at: number;
  /** Index of the sentence the clause belongs to. */
  sentence: number;
}

export interface Hit {
  at: number;
  negated: boolean;
  sentence: number;
  /** The clause begins with a sequencing word ("then …", "after that …", "finally …"). */
  sequenced: boolean;
}

const NEGATION =
  /\b(not|don't|dont|doesn't|never|no need to|no reason to|avoid|avoiding|without|stop|skip|skipping|refrain from|instead of|rather than|neither|nor)\b[^,;:]{0,28}$/;

/** Clauses of the prompt, so a negation only reaches the instruction it belongs to. */
export function clauses(text: string): Clause[] {
  const out: Clause[] = [];
  const lower = text.toLowerCase();
  let sentence = 0;
  const sentenceRe = /[^.!?\n]+(?:[.!?]+(?=\s|$)|(?=\n)|$)/g;
  for (const s of lower.matchAll(sentenceRe)) {
    const body = s[0];
    if (!body.trim()) continue;
    const parts = body.split(/(;|,\s*(?=then\b|and then\b|after that\b|finally\b|but\b)|\s(?=then\b|and then\b|before giving\b|followed by\b))/);
    let offset = s.index;
    for (const part of parts) {
      if (part.trim() && part !== ';') out.push({ text: part, at: offset, sentence });
      offset += part.length;
    }
    sentence++;
  }
  return out;
}

/** Where a pattern occurs in the clauses, and whether each occurrence is negated. */
export function hits(list: Clause[], patterns: RegExp[]): Hit[] {
  const found: Hit[] = [];
  for (const c of list) {
    for (const p of patterns) {
      const re = new RegExp(p.source, 'g');
      for (const m of c.text.matchAll(re)) {
        found.push({
          at: c.at + m.index,
          negated: NEGATION.test(c.text.slice(0, m.index)),
          sentence: c.sentence,
          sequenced: /^\s*(,\s*)?(and\s+)?(then|after that|afterwards|finally|followed by|before giving)\b/.test(c.text),
        });
      }
    }
  }
  return found.sort((a, b) => a.at - b.at);
}

export const affirmedHits = (h: Hit[]): Hit[] => h.filter((x) => !x.negated);
export const negatedHits = (h: Hit[]): Hit[] => h.filter((x) => x.negated);

// ---- vocabularies ---------------------------------------------------------------------------------------

const SHOW_VERB = String.raw`(?:show|showing|shows|write out|write down|writing out|write|lay out|laying out|spell out|list|listing|present|include|give|provide|detail|outline|document|set out|display|explain|explaining|describe|walk (?:me |us |the reader )?through|go through|going through|state|print)`;
const WORK_OBJECT = String.raw`(?:work|working|workings|steps?|reasoning|calculations?|computations?|math|arithmetic|thought process|thinking|logic|derivation|rationale|intermediate (?:steps|results|values|calculations|numbers)|how you (?:got|get|arrived|reached|computed|calculated|worked)|the (?:sum|numbers|figures|math) (?:you|behind))`;
const DETERMINER = String.raw`(?:(?:all|each|every|any|your|the|of|my|its|their|full|complete|detailed|clear|short|brief)\s+){0,3}`;
const PROBLEM = String.raw`(?:(?:the|this|each|every|it|a)\s+)?(?:problem|question|request|order|task|calculation|computation|numbers|math|arithmetic|steps?|it|things|details)`;

/** Asking for written working: the only kind of reasoning that helps the reply. */
export const WORK_PATTERNS: RegExp[] = [
  /\bstep[- ]by[- ]step\b|\bone step at a time\b|\bstep after step\b|\bchain[- ]of[- ]thought\b|\blet'?s think\b/,
  new RegExp(String.raw`\b${SHOW_VERB}\s+${DETERMINER}${WORK_OBJECT}\b`),
  new RegExp(String.raw`\b${WORK_OBJECT}\s+(?:must|should)\s+be\s+(?:shown|written|visible|included|listed|spelled out)\b`),
  new RegExp(
    String.raw`\b(?:reason|think|work|walk|go|step|reason it|think it|work it)\s+(?:carefully\s+|explicitly\s+|aloud\s+|out loud\s+)?(?:through|out)\s+${PROBLEM}`,
  ),
  /\b(?:reason|think|work it out)\b[^,;]{0,30}\b(?:before|prior to)\s+(?:you\s+)?(?:answer|answering|reply|replying|respond|responding|giving|writing|stating|committing)/,
  /\bbreak\s+(?:it|this|the \w+|each \w+)?\s*(?:down\s+)?into\s+(?:\w+\s+)?steps\b|\bbreak down\s+(?:the|each|this)\b/,
  /\b(?:explain|describe|show)\s+how\s+(?:you|to)\s+(?:get|got|arrive|reach|compute|calculate|solve|work|find|found)\b/,
  /\b(?:think|reason)\s+(?:aloud|out loud)\b/,
  /\bexplain(?:ing)?\s+(?:your|the)\s+(?:answer|result|solution|total)\b/,
  /\b(?:each|every)\s+(?:calculation|step|intermediate result)\s+(?:on|in)\s+(?:its own|a separate)\s+line\b/,
];

/** Asking for the answer and nothing else: strength 2, conflicts with written working. */
export const ANSWER_ONLY_PATTERNS: RegExp[] = [
  /\b(?:only|just|solely|merely|exclusively)\s+(?:with\s+)?(?:(?:the|a|your|one|single|final|numeric|numerical|bare|plain|resulting)\s+){0,3}(?:number|value|integer|figure|amount|answer|result|total|digits?)\b/,
  /\b(?:number|value|integer|figure|amount|answer|result|total)\s+(?:alone|only|by itself|on its own|and nothing else|with nothing else|without anything else)\b/,
  /\bnothing\s+(?:else\s+)?(?:but|other than|except|besides|beyond)\s+(?:the\s+)?(?:final\s+)?(?:number|answer|value|result|figure|total)\b/,
  /\b(?:a|one)\s+(?:(?:single|bare|plain|lone|sole)\s+){1,2}(?:number|integer|value|figure)\b/,
];

/** Forbidding explanation: strength 2, conflicts with written working even under an answer line. */
export const NO_WORK_PATTERNS: RegExp[] = [
  /\b(?:no|without(?: any)?|skip(?: the| any)?|omit(?: the| any)?|leave out(?: the| any)?|drop(?: the| any)?)\s+(?:explanations?|explaining|working|workings|reasoning|steps|extra text|other text|additional text|words|commentary|prose|preamble|justification|details|chatter|elaboration)\b/,
];

/** Brevity: strength 1, loses to an explicit request for the work. */
export const BRIEF_PATTERNS: RegExp[] = [
  /\b(?:concise|concisely|brief|briefly|succinct|succinctly|terse|tersely|short answer|keep it short|keep (?:it|your (?:answer|reply|response)|the (?:answer|reply)) (?:short|brief)|to the point|in a few words|one sentence)\b/,
];

/** A request for verification; only a reply that writes a check line benefits from it. */
export const VERIFY_PATTERNS: RegExp[] = [
  /\bdouble[- ]check\b|\bre-?calculate\b|\brecompute\b|\bcross[- ]check\b|\bsanity[- ]check\b/,
  /\b(?:verify|check|re-?check|validate|confirm|review)\s+(?:(?:all|each|every|your|the|that|of)\s+){0,3}(?:arithmetic|math|calculations?|computations?|answers?|results?|work|steps|totals?|numbers|figures)\b/,
];

/** "Explain" alone: affirmed it asks for nothing in particular; negated ("do not explain") it forbids working. */
export const EXPLAIN_PATTERNS: RegExp[] = [/\b(?:explain|explaining|explanations?|elaborate|justify)\b/];
