// Suggested questions for the photo view. The synthetic-world model knows the world's own phrasing
// (lowercase, spaced punctuation, as in its training questions); other models get everyday questions.

import type { ModelInfo } from './enginePort';

export const SYNTHETIC_QUESTIONS = [
  'what color is the object at the top left ?',
  'how many objects are there ?',
  'what is written on the sign ?',
  'where is the sign ?',
] as const;

export const GENERAL_QUESTIONS = ['What is in this photo?', 'How many people are there?', 'What is written here?'] as const;

export function suggestedQuestions(model: Pick<ModelInfo, 'name'> | null): readonly string[] {
  return !model || /synthetic/i.test(model.name) ? SYNTHETIC_QUESTIONS : GENERAL_QUESTIONS;
}
