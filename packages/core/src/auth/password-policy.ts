import { ZxcvbnFactory, type ZxcvbnResult } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";

/**
 * A password is accepted when it is long enough and a real strength estimator (zxcvbn-ts: breached
 * and common passwords, dictionary words, names, keyboard walks, dates, repeats, l33t, the account's
 * own email and name) puts it at 10^8 guesses or more (score 3 of 4). The breached-password list is
 * the one shipped with `@zxcvbn-ts/language-common` (≈49,000 passwords from public breaches): an
 * exact match is refused whatever its score. Length beats composition rules (NIST SP 800-63B).
 */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 128;
export const MIN_PASSWORD_SCORE = 3;

const dictionary = { ...common.dictionary, ...en.dictionary };
let estimator: ZxcvbnFactory | undefined;
let breached: Set<string> | undefined;

/** Built on first use: the dictionaries take a few tens of milliseconds to index. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary,
    graphs: common.adjacencyGraphs,
    translations: en.translations,
    // bounded work per sign-up: the first 64 characters are estimated (more only adds strength), and few l33t variants
    maxLength: 64,
    l33tMaxSubstitutions: 8,
  });
  return estimator;
}

export function isBreachedPassword(password: string): boolean {
  breached ??= new Set((common.dictionary as Record<string, string[]>)["passwords-common"] ?? []);
  return breached.has(password.toLowerCase());
}

function reason(result: ZxcvbnResult): string {
  const { warning, suggestions } = result.feedback;
  const why = warning ? warning.replace(/\.$/, "").toLowerCase() : "it is easy to guess";
  const hint = suggestions[0] ?? "Use a few uncommon words together.";
  return `this password is too easy to guess (${why}); ${hint.charAt(0).toLowerCase()}${hint.slice(1)}`;
}

export function checkPasswordStrength(password: string, who: { email?: string; name?: string } = {}): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`;
  if (isBreachedPassword(password)) return "this password appears in lists of breached passwords; choose another";
  const email = who.email?.toLowerCase();
  const userInputs = [email, email?.split("@")[0], who.name?.trim()].filter((s): s is string => !!s && s.length >= 3);
  const result = zxcvbn().check(password, userInputs);
  return result.score < MIN_PASSWORD_SCORE ? reason(result) : null;
}
