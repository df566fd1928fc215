// A plain webpack 5 setup: TypeScript through ts-loader, an HTML page, nothing bask-specific.
import HtmlWebpackPlugin from 'html-webpack-plugin';
import { fileURLToPath } from 'node:url';

export default {
  entry: './src/main.ts',
  output: {
    path: fileURLToPath(new URL('./dist/', import.meta.url)),
    filename: '[name].[contenthash].js',
    clean: true,
  },
  module: { rules: [{ test: /\.ts$/, use: 'ts-loader', exclude: /node_modules/ }] },
  resolve: { extensions: ['.ts', '.js'] },
  experiments: { topLevelAwait: true },
  plugins: [
    new HtmlWebpackPlugin({
      title: 'bask in a webpack app',
      templateContent: '<pre id="out">computing…</pre>',
    }),
  ],
};
