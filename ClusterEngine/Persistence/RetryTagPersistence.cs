using ClusterEngine.Placement;

namespace ClusterEngine.Persistence;

/// <summary>Deletes a client's stored retry tag (<see cref="IRetryTagJournal.Forgotten"/>).</summary>
/// <param name="ClientId">The client's id.</param>
public sealed record RetryTagForgotten(string ClientId);

/// <summary>
/// The node's <see cref="IRetryTagJournal"/>: hands each change of a retry tag to the <see cref="PersistenceWriter"/>,
/// which stores it in table <c>RetryTags</c> with the next batch. A tag granted before its claim's assignment is made is
/// queued before that assignment, so it is committed no later than the assignment a 201 waits for
/// (<see cref="PersistenceWriter.WhenStoredAsync"/>). Once the writer has stopped (shutting down) changes are dropped, as
/// <see cref="PersistenceObserver"/> drops them: the restart then restores the tags stored so far.
/// </summary>
internal sealed class RetryTagPersistence(PersistenceWriter writer) : IRetryTagJournal
{
    public void Kept(RetryTagRecord tag) => Write(tag);

    public void Forgotten(string clientId) => Write(new RetryTagForgotten(clientId));

    private void Write(object change)
    {
        if (writer.IsStopped)
        {
            return;
        }

        try
        {
            if (change is RetryTagRecord tag)
            {
                writer.Enqueue(tag);
            }
            else
            {
                writer.Enqueue((RetryTagForgotten)change);
            }
        }
        catch (InvalidOperationException) when (writer.IsStopped)
        {
            // The writer stopped between the check and the enqueue (shutting down): see the summary.
        }
    }
}
