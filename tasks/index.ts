// The task list: one graphile-worker task per file in this folder. Listing
// them explicitly (rather than a taskDirectory scan) keeps them type-checked
// and lets Node's type stripping load them.
import type { TaskList } from "graphile-worker";

export const taskList: TaskList = {};
