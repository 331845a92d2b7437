// Types of join-view.js for the TypeScript tests (the page itself is plain
// JavaScript with no build step).
import type { Language } from "./status-view.js";

export interface QueuePublicStatus {
  businessName?: string | null;
  queueName?: string | null;
  language?: string | null;
  customMessage?: string | null;
  isOpen: boolean;
  isPaused: boolean;
  isFull: boolean;
  canJoin?: boolean | null;
  waitingCount?: number | null;
  estimatedWaitMinutes?: number | null;
  /** Hours after the visit when the phone number and name are erased (the consent text). */
  phoneRetentionHours?: number | null;
}

export type QueueState = "open" | "paused" | "closed" | "full";

export interface QueueView {
  lang: Language;
  title: string;
  business: string;
  queue: string;
  customMessage: string;
  state: QueueState;
  stateLabel: string;
  lines: string[];
  canJoin: boolean;
  final: boolean;
}

export interface JoinErrorView {
  code: string;
  lang: Language;
  headline: string;
  message: string;
  field: "phone" | "name" | null;
  final: boolean;
}

export const QUEUE_STATUS_QUERY: string;
export const JOIN_QUEUE_MUTATION: string;
export const PHONE_RETENTION_HOURS: number;
export const NAME_MAX_LENGTH: number;
export function tokenFromPath(pathname: string): string | null;
export function entryPath(entryToken: string): string;
export function pickLanguage(chosen: string | null | undefined, businessLanguage: string | null | undefined, browserLanguage: string | null | undefined): Language;
export function otherLanguage(lang: string): Language;
export function texts(lang: string): { title: string; submit: string; submitting: string; errors: Record<string, string> };
export function labels(lang: string, retentionHours?: number | null): Record<"title" | "switchLabel" | "phoneLabel" | "phoneHint" | "nameLabel" | "nameHint" | "submit" | "consent", string>;
export function queueState(status: QueuePublicStatus): QueueState;
export function describeQueue(status: QueuePublicStatus, lang: string): QueueView;
export function checkForm(phone: string, name: string): string | null;
export function describeJoinError(code: string, lang: string): JoinErrorView;
export function errorCode(body: unknown): string | null;
