// Separates the task from the instructions around it, so "Round to 2 decimal places" or
// "Answer: <n>" never leak numbers into the arithmetic.

import { isInstructionSentence } from './instructions.js';

const QUESTION_LABEL = /(?:^|\n)[ \t]*(?:#+[ \t]*)?(?:question|problem|q|task|input|word problem)[ \t]*[:：][ \t]*/gi;
const NEXT_LABEL = /\n[ \t]*(?:#+[ \t]*)?(?:answer|a|solution|output|response|reasoning|explanation|instructions?|format)[ \t]*[:：]/i;

/** The question the user is asking, without the instructions that came with it. */
export function extractQuestion(text: string): string {
  // Few-shot prompts repeat "Q: ... A: ..."; the live question is the last labelled one.
  const labels = [...text.matchAll(QUESTION_LABEL)];
  const lastLabel = labels[labels.length - 1];
  if (lastLabel) {
    const rest = text.slice(lastLabel.index + lastLabel[0].length);
    const stop = NEXT_LABEL.exec('\n' + rest);
    const body = (stop ? rest.slice(0, Math.max(0, stop.index - 1)) : rest).trim();
    if (body) return stripInstructions(body);
  }
  return stripInstructions(text);
}

function stripInstructions(text: string): string {
  const pieces: string[] = [];
  for (const raw of text.split(/(?<=[.!?])\s+|\n+/)) {
    let sentence = raw.trim();
    if (!sentence) continue;
    // "Solve this problem: Tom has 3 boxes ..." keeps what follows the colon.
    const colon = sentence.indexOf(':');
    if (colon > 0 && colon < sentence.length - 1 && /\d/.test(sentence.slice(colon)) && !/\d/.test(sentence.slice(0, colon))) {
      const head = sentence.slice(0, colon);
      if (!/^(answer|final answer|result)$/i.test(head.trim())) sentence = sentence.slice(colon + 1).trim();
    }
    if (isInstructionSentence(sentence)) continue;
    pieces.push(sentence);
  }
  const joined = pieces.join(' ').trim();
  return joined || text.trim();
}

/** True when the text asks for a number ("how many", "how much", "what is 3 + 4", "total"). */
export function asksForNumber(question: string): boolean {
  return /\bhow (many|much|far|long|old)\b|\b(total|altogether|in all|left|remain|remaining|sum|product|difference|calculate|compute|what is|what's|evaluate)\b/i.test(
    question,
  );
}
