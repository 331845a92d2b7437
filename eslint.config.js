// ESLint flat config: the recommended JavaScript and TypeScript rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".data/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // web/: plain scripts run by the browser (no build step), kept to ES2019
  // so that older phones run them.
  {
    files: ["web/**/*.js"],
    languageOptions: {
      globals: {
        document: "readonly",
        location: "readonly",
        navigator: "readonly",
        confirm: "readonly",
        localStorage: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        performance: "readonly",
        atob: "readonly",
        TextDecoder: "readonly",
      },
    },
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "ChainExpression", message: "ES2019 for older phones: no optional chaining" },
        { selector: "LogicalExpression[operator='??']", message: "ES2019 for older phones: no ??" },
        { selector: "AssignmentExpression[operator=/^(\\?\\?|\\|\\||&&)=$/]", message: "ES2019 for older phones: no logical assignment" },
      ],
    },
  },
);
