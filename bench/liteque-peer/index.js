export * from "liteque";
