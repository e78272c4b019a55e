// A V8 .cpuprofile as the profile scripts read it (profile-summary.ts, profile-windows.ts).
import { readFileSync } from 'node:fs';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function readProfile(file: string): { profile: Profile; byId: Map<number, ProfileNode> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  return { profile, byId: new Map(profile.nodes.map((n) => [n.id, n])) };
}

/** A script's URL from the project folder on (functions/..., node_modules/...). */
export const shortUrl = (url: string): string => url.replace(/^file:\/\/.*?\/(node_modules|functions|bench|local)\//, '$1/');
