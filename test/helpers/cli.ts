import { main, type CliIo } from '@main/cli/main';

/** Runs the CLI in this process (same handler map as the app) and collects what it prints. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
