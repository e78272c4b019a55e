// The parts of the AWS SDK clients the `--aws` commands use. Kept apart from the commands so
// that CliContext (command.ts) can name them without importing the commands, which import it.
import type { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { InvokeCommand } from '@aws-sdk/client-lambda';

/** The part of SFNClient `ingest --aws` uses; tests pass a stub here (the SDK boundary). */
export interface StepFunctions {
  send(command: StartExecutionCommand | DescribeExecutionCommand | GetExecutionHistoryCommand): Promise<unknown>;
}

/** The part of LambdaClient `promote|discard --aws` use; tests pass a stub here (the SDK boundary). */
export interface LambdaInvoker {
  send(command: InvokeCommand): Promise<unknown>;
}
