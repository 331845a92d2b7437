// The language a customer chose with the join page's switch, kept in this
// browser (localStorage) so that their status page speaks it too. Storage may
// be refused (private mode, disabled): the choice then lasts for the page only.
const LANGUAGE_KEY = "waitify.lang";

export function readLanguageChoice() {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null;
  }
}

export function saveLanguageChoice(value) {
  try {
    localStorage.setItem(LANGUAGE_KEY, value);
  } catch {
    // storage refused: nothing to keep
  }
}
