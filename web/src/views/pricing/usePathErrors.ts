import { computed, reactive, ref } from 'vue';
import type { ApiError } from '@/api/http';
import { ruleMessenger } from '@/locale/rule-message';
import { valueAt, type RuleError } from '@/utils/pricing-rules';

/** Codes that only say "fill this in": shown once the user tried to save, not while typing. */
const EMPTY_CODES = new Set(['REQUIRED', 'UNBOUNDED_TIER_NOT_LAST']);

/** A rule problem in the user's language: the server's Chinese as it is, or the translation. */
export const ruleMessage = ruleMessenger('pricing');

/**
 * The field errors of a form whose fields are request paths (`rules.X.tiers[1].up_to`):
 * the client's checks as the user works (empty fields only after a save attempt), and
 * the server's 400 details, each kept on its path until the value there changes.
 * `placeable` says which paths the form has a place for; the others are listed apart.
 */
export function usePathErrors(
  model: object,
  check: () => RuleError[],
  placeable: (path: string) => boolean,
  /** A client problem in the user's language (the pricing rules' by default). */
  message: (error: RuleError) => string = ruleMessage,
) {
  const submitted = ref(false);
  const server = reactive<Record<string, { message: string; snapshot: string }>>({});
  const snapshot = (path: string) => JSON.stringify(valueAt(model, path) ?? null);

  const client = computed(() => check());
  const errors = computed<Record<string, string>>(() => {
    const out: Record<string, string> = {};
    for (const [path, entry] of Object.entries(server)) {
      if (entry.snapshot === snapshot(path)) out[path] = entry.message;
    }
    for (const e of client.value) {
      if (out[e.field] || (!submitted.value && EMPTY_CODES.has(e.code))) continue;
      out[e.field] = message(e);
    }
    return out;
  });
  /** Server errors with no field on the form (e.g. `rules` itself): shown above it. */
  const unplaced = computed(() =>
    Object.entries(server)
      .filter(([path, entry]) => !placeable(path) && entry.snapshot === snapshot(path))
      .map(([path, entry]) => (path ? `${path}：${entry.message}` : entry.message)),
  );

  return {
    errors,
    unplaced,
    submitted,
    /** Marks the attempt; true when the client finds nothing wrong. */
    validate(): boolean {
      submitted.value = true;
      return client.value.length === 0;
    },
    /** 400 details (and a 409 DUPLICATE_* naming its field) onto their paths. */
    setServerErrors(error: ApiError): number {
      for (const key of Object.keys(server)) delete server[key];
      const details = error.status === 400 || (error.status === 409 && error.code.startsWith('DUPLICATE_')) ? error.details : [];
      for (const d of details) {
        const path = d.field ?? '';
        // The first message for a path is the one the server found first.
        if (!server[path]) server[path] = { message: d.message, snapshot: snapshot(path) };
      }
      return details.length;
    },
    reset() {
      submitted.value = false;
      for (const key of Object.keys(server)) delete server[key];
    },
  };
}

export type PathErrors = ReturnType<typeof usePathErrors>;
