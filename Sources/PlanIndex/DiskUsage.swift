import Foundation

/// The bytes an index takes on disk.
public enum DiskUsage {
    /// The size of every file under `path`, in subdirectories too (a sharded index keeps its
    /// databases in `shard-N` directories); 0 for a path that does not exist.
    public static func bytes(under path: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }
}
