namespace Cohort.Sql.Storage;

/// <summary>The part of a SQL resource's key space a <see cref="SqlKey"/> belongs to; the order of the members is the key order.</summary>
internal enum SqlKeySpace : byte
{
    /// <summary>One entry per table: its <see cref="TableSchema"/> as a value.</summary>
    Catalog = 0,

    /// <summary>Table rows, keyed by primary key (or hidden row id).</summary>
    Rows = 1,

    /// <summary>Secondary index entries.</summary>
    Index = 2,
}
