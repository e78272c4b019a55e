export default async function placeholder(): Promise<void> {}
