/**
 * `log_rules`: regular expressions that give a line of job output its
 * severity (first match wins), applied to stdout and stderr alike; lines no
 * rule matches keep their stream's severity (stdout INFO, stderr ERROR or
 * `stderr_severity`). Patterns run in linear time (`compileLogPattern`, the
 * same compile the spec's check uses), so no line can freeze the wrapper.
 */
import { GatorError, LOG_RULE_PRESETS, compileLogPattern, type LogPattern, type LogRule, severityFromName } from '@gator/protocol';

export interface CompiledRule {
  regex: LogPattern;
  severity: number;
}

/** Expand presets and compile every pattern, in order. Throws GatorError (GATOR_SPEC_INVALID) on a bad pattern. */
export function compileLogRules(rules: readonly LogRule[] | undefined): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const rule of rules ?? []) {
    const expanded =
      'preset' in rule
        ? (LOG_RULE_PRESETS[rule.preset as keyof typeof LOG_RULE_PRESETS] as readonly { pattern: string; severity: string }[] | undefined)
        : [rule];
    if (!expanded) {
      throw new GatorError('GATOR_SPEC_INVALID', `Unknown log rule preset '${String((rule as { preset: unknown }).preset)}'`, {
        hint: `Known presets: ${Object.keys(LOG_RULE_PRESETS).join(', ')}.`,
      });
    }
    for (const { pattern, severity } of expanded) {
      const compiled = compileLogPattern(pattern);
      if (!compiled.pattern) {
        throw new GatorError('GATOR_SPEC_INVALID', `Invalid log rule pattern ${JSON.stringify(pattern)}: ${compiled.problem}`);
      }
      out.push({ regex: compiled.pattern, severity: severityFromName(severity) });
    }
  }
  return out;
}

/** Severity of `line`: the first matching rule's, else `fallback`. */
export function classify(rules: readonly CompiledRule[], line: string, fallback: number): number {
  for (let i = 0; i < rules.length; i++) if (rules[i].regex.test(line)) return rules[i].severity;
  return fallback;
}
