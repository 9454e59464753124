namespace ClusterEngine.Placement;

/// <summary>A potential primary's answer to an offer (the <c>Offer</c> response of docs/architecture.md §7).</summary>
/// <param name="Outcome">Accept, bounce or refuse.</param>
/// <param name="BounceTo">Node id the client is bounced to; set only for <see cref="AdmissionOutcome.Bounce"/>.</param>
public readonly record struct AdmissionDecision(AdmissionOutcome Outcome, string? BounceTo);
