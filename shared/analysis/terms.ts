/** Words that carry no topic: English function words (other languages are ranked by frequency alone). */
const STOPWORDS = new Set(
  `a about above after again against all almost also although always am among an and another any are
  aren't around as at be became because been before being below between both but by can cannot could
  couldn't did didn't do does doesn't doing don't done down during each either else enough etc even ever
  every few for from further get gets got had hadn't has hasn't have haven't having he her here hers herself
  him himself his how however i if in into is isn't it it's its itself just least less let like made make
  many may me might more most much must my myself neither never no nor not now of off often on once one
  only or other others our ours ourselves out over own per perhaps rather really same several shall she
  should shouldn't since so some such than that that's the their theirs them themselves then there
  there's therefore these they this those though through thus to too toward towards under until up upon
  us use used using very via was wasn't we well were weren't what when where whether which while who whom
  whose why will with within without would wouldn't yes yet you your yours yourself yourselves`.split(/\s+/),
);

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;

/** Lowercased words of `text`, in order; apostrophes normalised, trailing ones and hyphens dropped. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).map((word) => word.replace(/’/g, "'").replace(/['-]+$/, ""));
}

/** A word that can carry a topic: not a stop word, with at least two letters (so not a bare number). */
export function isContentWord(word: string): boolean {
  return !STOPWORDS.has(word) && /\p{L}.*\p{L}/u.test(word);
}
