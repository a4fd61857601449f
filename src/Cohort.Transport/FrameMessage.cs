using Cohort.Core;

namespace Cohort.Transport;

/// <summary>
/// One message of a node-to-node frame (<see cref="MessageFrames.Messages"/>): the parsed message, or, for a message
/// that is not valid JSON text (a string that is not valid Unicode, say) while the frame around it is, the error and the
/// message's <c>id</c> when one could be read, so that this message alone is refused.
/// </summary>
/// <param name="Message">The message; <see cref="Value.Null"/> when <paramref name="Error"/> is set.</param>
/// <param name="Id">The message's id when it could be read from a message that failed to parse, else null.</param>
/// <param name="Error">Why the message could not be read, or null.</param>
internal readonly record struct FrameMessage(Value Message, long? Id = null, CohortException? Error = null);
