// Types of status-view.js for the TypeScript tests (the page itself is plain
// JavaScript with no build step).

export type Language = "fr" | "en";

export interface EntryStatus {
  status: string;
  ticketNumber?: number | null;
  position?: number | null;
  peopleAhead?: number | null;
  estimatedWaitMinutes?: number | null;
  businessName?: string | null;
  queueName?: string | null;
  language?: string | null;
  customMessage?: string | null;
  calledAt?: string | null;
  callExpiresAt?: string | null;
  moreTimeRequested?: boolean | null;
  canRequestMoreTime?: boolean | null;
}

export interface View {
  lang: Language;
  title: string;
  tone: string;
  headline: string;
  lines: string[];
  final: boolean;
}

export interface EntryView extends View {
  business: string;
  queue: string;
  ticket: string;
  customMessage: string;
  showCancel: boolean;
  showMoreTime: boolean;
  moreTimeLabel: string;
}

export const ENTRY_STATUS_QUERY: string;
export const ENTRY_CHANGED_SUBSCRIPTION: string;
export const CANCEL_ENTRY_MUTATION: string;
export const REQUEST_MORE_TIME_MUTATION: string;
export const MORE_TIME_MINUTES: number;
export function tokenFromPath(pathname: string): string | null;
export function pickLanguage(
  entryLanguage: string | null | undefined,
  browserLanguage: string | null | undefined,
  chosen?: string | null,
): Language;
export function canCancel(status: string): boolean;
export function isFinal(status: string): boolean;
export function texts(lang: string): { cancelButton: string; cancelConfirm: string; loading: string; title: string };
export function formatTime(iso: string, lang: string, timeZone?: string): string | null;
export function describeEntry(entry: EntryStatus, lang: string, options?: { timeZone?: string }): EntryView;
export function describeError(code: string, lang: string): View;
export function pageTitle(view: View & { business?: string }): string;
export function describeMoreTimeError(code: string, lang: string): string;
export function errorCode(body: unknown): string | null;
