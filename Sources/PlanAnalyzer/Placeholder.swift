// Placeholder; replaced by the analyzer.
public enum PlanAnalyzerPlaceholder {}
