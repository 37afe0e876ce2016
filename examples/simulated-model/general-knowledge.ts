// The few non-arithmetic questions the simulated model can answer. It is deliberately tiny: the
// point of the simulation is instruction following, not knowledge, and an honest "I am not sure"
// is the answer to anything else.

const CAPITALS: Record<string, string> = {
  france: 'Paris',
  germany: 'Berlin',
  italy: 'Rome',
  spain: 'Madrid',
  portugal: 'Lisbon',
  japan: 'Tokyo',
  china: 'Beijing',
  india: 'New Delhi',
  canada: 'Ottawa',
  australia: 'Canberra',
  brazil: 'Brasília',
  mexico: 'Mexico City',
  egypt: 'Cairo',
  kenya: 'Nairobi',
  russia: 'Moscow',
  'united kingdom': 'London',
  'the united kingdom': 'London',
  england: 'London',
  'united states': 'Washington, D.C.',
  'the united states': 'Washington, D.C.',
  usa: 'Washington, D.C.',
  netherlands: 'Amsterdam',
  'the netherlands': 'Amsterdam',
  sweden: 'Stockholm',
  norway: 'Oslo',
  poland: 'Warsaw',
};

export interface TextAnswer {
  /** The bare answer ("Paris"), used where the prompt asks for only the answer. */
  short: string;
  /** The sentence a chat model would write. */
  sentence: string;
  known: boolean;
}

export function answerGeneralQuestion(question: string): TextAnswer {
  const q = question.trim();
  const lower = q.toLowerCase();
  if (/^(hi|hello|hey|good (morning|afternoon|evening)|greetings)\b/.test(lower)) {
    return { short: 'Hello!', sentence: 'Hello! How can I help you today?', known: true };
  }
  const capital = /capital (?:city )?of ([a-z .]+?)\??$/i.exec(lower);
  if (capital?.[1]) {
    const country = capital[1].trim();
    const city = CAPITALS[country];
    if (city) return { short: city, sentence: `The capital of ${titleCase(country)} is ${city}.`, known: true };
  }
  const letters = /how many letters (?:are )?(?:in|does) (?:the word )?["'`]?([a-z]+)["'`]?/i.exec(q);
  if (letters?.[1]) {
    const n = String(letters[1].length);
    return { short: n, sentence: `The word "${letters[1]}" has ${n} letters.`, known: true };
  }
  const reverse = /reverse (?:the (?:word|string|text) )?["'`]?([^"'`?]+?)["'`]?\??$/i.exec(q);
  if (reverse?.[1]) {
    const r = [...reverse[1]].reverse().join('');
    return { short: r, sentence: `Reversed, it reads "${r}".`, known: true };
  }
  const upper = /(?:uppercase|upper case|capitali[sz]e) (?:the (?:word|text|string) )?["'`]?([^"'`]+?)["'`]?\.?$/i.exec(q);
  if (upper?.[1]) return { short: upper[1].toUpperCase(), sentence: upper[1].toUpperCase(), known: true };
  const repeat = /(?:repeat|say|echo)(?: after me)?[:,]?\s+["'`]?([^"'`]+?)["'`]?\.?$/i.exec(q);
  if (repeat?.[1]) return { short: repeat[1], sentence: repeat[1], known: true };
  return {
    short: 'unknown',
    sentence: "I'm not sure about that one; I don't have enough information to answer it reliably.",
    known: false,
  };
}

function titleCase(s: string): string {
  return s.replace(/\b([a-z])/g, (c) => c.toUpperCase()).replace(/\bThe\b/, 'the');
}
