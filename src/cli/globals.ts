/** Flags every command accepts (the program's own options in main.ts). */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  sandbox: boolean;
  color: boolean;
  verbose: boolean;
}
