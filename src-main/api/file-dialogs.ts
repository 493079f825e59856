// The main process's file dialogs, as the window may ask for them: which purposes exist, what the options may hold
// (checked here, since they cross from the renderer), and which request fields a path picked for a purpose may fill.
// A path picked to import cases is not thereby a llama-server binary the app would execute (PathGrants, renderer-policy.ts).
import { z } from 'zod';
import { ApiError } from './errors';
import type { PathPurpose } from './renderer-policy';

export const PICK_PURPOSES = [
  'import',
  'export',
  'modelDir',
  'imagesDir',
  'packDir',
  'packFile',
  'decisionsFile',
  'llamaServer',
] as const;
export type PickPurpose = (typeof PICK_PURPOSES)[number];

/** What a path returned by the dialog for each purpose may then be used as, in a request. */
export const GRANTED_FOR: Record<PickPurpose, readonly PathPurpose[]> = {
  import: ['import'],
  export: ['export'],
  modelDir: ['modelDir'],
  imagesDir: ['imagesDir'],
  packDir: ['packDir'],
  packFile: ['packFile'],
  decisionsFile: ['decisionsFile'],
  llamaServer: ['llamaServerPath'],
};

const pickFileOptionsSchema = z.strictObject({
  purpose: z.enum(PICK_PURPOSES),
  /** A suggested file name for a save dialog: a name only, never a path. */
  defaultName: z
    .string()
    .min(1)
    .max(255)
    .refine((name) => !/[\\/\0]/.test(name) && name !== '.' && name !== '..', 'a file name without a folder')
    .optional(),
});
export type PickFileOptions = z.infer<typeof pickFileOptionsSchema>;

/** The window's pickFile options, or ApiError('invalid') naming the field. */
export function parsePickFileOptions(value: unknown): PickFileOptions {
  const parsed = pickFileOptionsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ApiError('invalid', `pickFile ${issue.path.join('.') || 'options'}: ${issue.message}.`);
}
