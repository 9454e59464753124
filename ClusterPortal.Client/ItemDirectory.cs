using System.Security.Cryptography;
using System.Text;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client;

/// <summary>
/// Cached items on disk: per key (named by its SHA-256) one file holding a one-line header (the key and the media
/// type) and the item's bytes. The validator is recomputed from the bytes on read (CRC-64, <see cref="ItemValidator"/>),
/// so a damaged file is revalidated, never trusted. Writes go to a temporary file first and are moved in place.
/// </summary>
internal sealed class ItemDirectory
{
    private const string Extension = ".item";
    private readonly string _path;

    public ItemDirectory(string path)
    {
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(_path);
    }

    public CachedItem? Read(string key)
    {
        var file = FileOf(key);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline < 0)
        {
            return null;
        }

        var header = Encoding.UTF8.GetString(bytes, 0, newline).Split('\t');
        if (header.Length != 2 || !string.Equals(header[0], key, StringComparison.Ordinal))
        {
            return null;
        }

        var content = bytes.AsMemory(newline + 1);
        return new CachedItem(key, content, ItemValidator.Compute(content.Span), header[1].Length == 0 ? null : header[1], false);
    }

    public void Write(CachedItem item)
    {
        var file = FileOf(item.Key);
        var temporary = file + "." + Guid.NewGuid().ToString("n") + ".tmp";
        try
        {
            using (var stream = File.Create(temporary))
            {
                stream.Write(Encoding.UTF8.GetBytes($"{item.Key}\t{item.ContentType}\n"));
                stream.Write(item.Content.Span);
            }

            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The disk copy is an optimisation: the memory copy serves this run, the next run fetches again.
            TryDelete(temporary);
        }
    }

    public void Delete(string key) => TryDelete(FileOf(key));

    public void Clear()
    {
        foreach (var file in Directory.EnumerateFiles(_path, "*" + Extension))
        {
            TryDelete(file);
        }
    }

    private string FileOf(string key) =>
        Path.Combine(_path, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + Extension);

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind: a later write replaces it; Read checks the key in the header.
        }
    }
}
