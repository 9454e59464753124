namespace ClusterPortal.Client.Contract;

/// <summary>Why a text is not an item key (<see cref="ItemKey"/>); the node refuses such requests with 400.</summary>
public enum ItemKeyError
{
    /// <summary>A valid key.</summary>
    None = 0,

    /// <summary>Null or empty.</summary>
    Empty,

    /// <summary>Longer than <see cref="ItemKey.MaxLength"/> characters, or a segment longer than <see cref="ItemKey.MaxSegmentLength"/>.</summary>
    TooLong,

    /// <summary>Starts with <c>/</c>: an absolute path.</summary>
    Absolute,

    /// <summary>Contains <c>\</c>.</summary>
    Backslash,

    /// <summary>Contains a control character (including NUL).</summary>
    ControlCharacter,

    /// <summary>Contains <c>%</c>: percent-encoded text (an encoded slash or dot) is never decoded here.</summary>
    PercentEncoding,

    /// <summary>Contains <c>:</c> (drive letters such as <c>C:</c>, NTFS streams, URI schemes).</summary>
    Colon,

    /// <summary>Contains one of <c>* ? " &lt; &gt; |</c>, or a segment ends with a dot or a space.</summary>
    InvalidCharacter,

    /// <summary>An empty segment: <c>a//b</c> or a trailing <c>/</c>.</summary>
    EmptySegment,

    /// <summary>A <c>.</c> or <c>..</c> segment.</summary>
    DotSegment,

    /// <summary>The key is well formed, but its path leaves the origin root through a symbolic link (found by a node's file-system origin, never by <see cref="ItemKey.Validate"/>).</summary>
    OutsideRoot,
}
