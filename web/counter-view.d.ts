// Types of counter-view.js for the TypeScript tests (the page itself is plain
// JavaScript with no build step).

export type Language = "fr" | "en";

/** A QueueEntry as the counter's query reads it. */
export interface CounterEntry {
  rowId: string;
  ticketNumber: number;
  clientName?: string | null;
  maskedPhone?: string | null;
  isWalkIn?: boolean;
  status: string;
  joinedAt?: string;
  calledAt?: string | null;
  callExpiresAt?: string | null;
  waitedSeconds?: number | null;
  quotedWaitMinutes?: number | null;
  moreTimeRequestedAt?: string | null;
}

/** A Queue as the counter's query reads it. */
export interface CounterQueue {
  rowId: string;
  name: string;
  isQueueActive: boolean;
  isQueuePaused: boolean;
  maxQueueSize: number;
  clientTimeoutMinutes?: number;
  waitingCount: number | null;
  business?: { rowId: string; name: string; language: string } | null;
  lastCalledEntry?: { rowId: string; ticketNumber: number; clientName?: string | null; status: string } | null;
  activeEntries?: { nodes: CounterEntry[] };
}

export interface QueueView {
  state: "open" | "paused" | "closed";
  stateLabel: string;
  waitingLabel: string;
  capacityLabel: string;
  canOpen: boolean;
  canPause: boolean;
  canResume: boolean;
  canClose: boolean;
  canCallNext: boolean;
  canAddWalkIn: boolean;
}

export interface EntryView {
  id: string;
  status: string;
  ticket: string;
  ticketNumber: number;
  name: string;
  phone: string;
  walkIn: string;
  waited: string;
  waitedLine: string;
  quoted: string;
  /** The quote alone ("10 min"), under a "Quoted" heading. */
  quotedShort: string;
  lateMinutes: number;
  late: string;
  /** "+3 min", beside the time waited (late says it in words). */
  lateShort: string;
  deadline: string;
  remaining: string;
  overdue: boolean;
  moreTime: string;
}

export interface TvView {
  ticket: string;
  label: string;
  prompt: string;
  announcement: string;
}

export interface PickerModel {
  businesses: Array<{ id: string; name: string; language: string; queues: Array<{ id: string; name: string }> }>;
  choice: { businessId: string; queueId: string } | null;
}

export type Shortcut = "callNext" | "served" | "missed" | "walkIn" | "tv" | "tvOff";

export interface KeyLike {
  key?: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  repeat?: boolean;
  target?: { tagName?: string; isContentEditable?: boolean } | null;
}

export const AUTHENTICATE_MUTATION: string;
export const BUSINESSES_QUERY: string;
export const ENTRY_FIELDS_QUERY: string;
export const QUEUE_CHANGED_SUBSCRIPTION: string;
export const MUTATIONS: Record<"open" | "close" | "pause" | "resume" | "callNext" | "served" | "missed" | "walkIn", string>;
export const STORAGE_KEYS: { token: string; choice: string };
export const WALK_IN_NAME_MAX: number;
export function queueQuery(moreTime: boolean): string;
export function pickLanguage(businessLanguage: string | null | undefined, browserLanguage: string | null | undefined): Language;
export function texts(lang: string): Record<string, unknown> & {
  shortcuts: Array<[string, string]>;
  signedOut: string;
  nobodyWaiting: string;
};
export function describeError(code: string, lang: string, action?: string): string;
export function errorCode(body: unknown): string | null;
export function isSessionError(code: string | null): boolean;
export function cleanWalkInName(raw: unknown): string | null;
export function formatTime(value: string | number | Date, lang: string, timeZone?: string): string | null;
export function describeQueue(queue: CounterQueue, lang: string): QueueView;
export function describeEntry(
  entry: CounterEntry,
  lang: string,
  options?: { elapsed?: number; serverNow?: number; timeZone?: string },
): EntryView;
export function splitEntries(entries: CounterEntry[] | null | undefined): { called: CounterEntry[]; waiting: CounterEntry[] };
export function currentCalled(entries: CounterEntry[] | null | undefined): CounterEntry | null;
export function describeTv(queue: CounterQueue | null | undefined, lang: string): TvView;
export function shortcutFor(event: KeyLike | null | undefined): Shortcut | null;
export function pickerModel(
  businesses: Array<{ rowId: string; name: string; language: string; queues?: { nodes: Array<{ rowId: string; name: string }> } }> | null,
  remembered: { businessId: string; queueId: string } | null,
): PickerModel;
