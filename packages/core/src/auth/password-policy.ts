/**
 * A password is accepted when it is long enough and not guessable from a short
 * list of the most common choices or from the account's own email or name.
 * Length beats composition rules (NIST SP 800-63B); we still ask short ones for variety.
 */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 128;

const COMMON = new Set([
  "password",
  "password1",
  "password123",
  "passw0rd",
  "123456789",
  "1234567890",
  "12345678910",
  "qwertyuiop",
  "qwerty123",
  "iloveyou",
  "letmein123",
  "welcome123",
  "admin12345",
  "administrator",
  "abc1234567",
  "changeme123",
  "1q2w3e4r5t",
  "football123",
  "monkey1234",
  "dragon1234",
  "trustno1",
  "sunshine123",
  "princess123",
  "qwertyuiop123",
]);

function classes(password: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
}

export function checkPasswordStrength(password: string, who: { email?: string; name?: string } = {}): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return "this password is one of the most common ones; choose another";
  if (new Set(lower).size < 4) return "use more different characters";
  const local = who.email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) return "do not put your email address in your password";
  const name = who.name?.trim().toLowerCase();
  if (name && name.length >= 4 && lower.includes(name)) return "do not put your name in your password";
  if (password.length < 16 && classes(password) < 2)
    return "mix letters with digits or symbols, or use 16 characters or more";
  return null;
}
